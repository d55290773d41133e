// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';
import { conformanceCommand } from './cmd-conformance.js';
import { demoCommand } from './cmd-demo.js';
import { genCommand } from './cmd-gen.js';
import { inspectCommand } from './cmd-inspect.js';
import { keygenCommand } from './cmd-keygen.js';
import { realCommand } from './cmd-real.js';
import { replayCommand } from './cmd-replay.js';
import { signCommand } from './cmd-sign.js';
import { skelCommand } from './cmd-skel.js';
import { verifyCommand } from './cmd-verify.js';

export const commands: Command[] = [demoCommand, skelCommand, genCommand, keygenCommand, replayCommand, realCommand, signCommand, verifyCommand, inspectCommand, conformanceCommand];
