// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';
import { inspectCommand } from './cmd-inspect.js';

export const commands: Command[] = [inspectCommand];
