// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';
import { conformanceCommand } from './cmd-conformance.js';

export const commands: Command[] = [conformanceCommand];
