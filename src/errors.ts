// Error types for bad user input, shared by every layer that reads files or arguments. The CLI turns
// them into a message and an exit code; they never carry a kernel errno (those are return values).

/** Unreadable or malformed input (a file, a transcript, a key). Exit code 1 at the CLI. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
