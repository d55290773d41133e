// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';
import { signCommand } from './cmd-sign.js';
import { verifyCommand } from './cmd-verify.js';

export const commands: Command[] = [signCommand, verifyCommand];
