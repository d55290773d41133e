// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

import type { Command } from './command.js';
import { conformanceCommand } from './cmd-conformance.js';
import { demoCommand } from './cmd-demo.js';
import { inspectCommand } from './cmd-inspect.js';
import { replayCommand } from './cmd-replay.js';

export const commands: Command[] = [demoCommand, replayCommand, inspectCommand, conformanceCommand];
