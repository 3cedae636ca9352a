/** Input the user can fix: the CLI prints its one line and exits 1. */
export class UsageError extends Error {}
