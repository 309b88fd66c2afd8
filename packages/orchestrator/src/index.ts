// This package has no public API yet: see its README for what is coming. It exports nothing
// rather than anything that only pretends to work.
export {};
