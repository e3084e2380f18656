// Placeholder entry: the browser snippet is being written (issue 6).
export {};
