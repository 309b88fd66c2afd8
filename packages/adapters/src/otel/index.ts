// Filled by the next commits of issue #7; exports nothing until then.
export {};
