// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';

export const commands: Command[] = [];
