// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';
import { conformanceCommand } from './cmd-conformance.js';
import { demoCommand } from './cmd-demo.js';
import { inspectCommand } from './cmd-inspect.js';
import { replayCommand } from './cmd-replay.js';
import { signCommand } from './cmd-sign.js';
import { verifyCommand } from './cmd-verify.js';

export const commands: Command[] = [demoCommand, replayCommand, signCommand, verifyCommand, inspectCommand, conformanceCommand];
