// Error types for bad user input, shared by every layer that reads files or arguments. The CLI turns
// them into a message and an exit code; they never carry a kernel errno (those are return values).

/** Unreadable or malformed input (a file, a transcript, a key). Exit code 3 at the CLI (src/cli/exit-codes.ts). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
