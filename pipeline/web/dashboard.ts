// Placeholder entry: the dashboard is being written (issue 6).
export {};
