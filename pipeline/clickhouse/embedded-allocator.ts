// The embedded engine's memory allocator (chDB's own jemalloc), tuned before chDB is loaded: imported by
// client.ts ahead of `chdb/connection`, since jemalloc reads JE_MALLOC_CONF once, when the library loads.
//
// Why: chDB gives the memory of a finished query back to the system at once (`muzzy_decay_ms:0`; its large
// allocations go to an arena that does so immediately), so the next query faults every page of its hash
// tables in again. Measured at 1 M profiles: a sixth of the customer-model jobs' CPU time went to the kernel,
// and their bench took 19.2 s, against 13.5–13.9 s with this setting. `muzzy_decay_ms:-1` hands freed pages
// to the kernel lazily (MADV_FREE): the kernel takes them back when it needs memory, and until then the next
// query reuses them without a fault. The process's resident size stays near its peak while nothing else
// wants the memory.
//
// A JE_MALLOC_CONF set by the operator is kept as given.

export const EMBEDDED_ALLOCATOR_CONF = 'muzzy_decay_ms:-1';

if (process.env.JE_MALLOC_CONF === undefined) process.env.JE_MALLOC_CONF = EMBEDDED_ALLOCATOR_CONF;
