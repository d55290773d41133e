// Every `bpfsig` subcommand, in the order `bpfsig help` lists them.

// The built-in schemes register their kernel profiles and toolchains before any command runs.
import '../schemes/index.js';
import type { Command } from './command.js';
import { claimsCommand } from './cmd-claims.js';
import { compareCommand } from './cmd-compare.js';
import { conformanceCommand } from './cmd-conformance.js';
import { demoCommand } from './cmd-demo.js';
import { explainCommand } from './cmd-explain.js';
import { genCommand } from './cmd-gen.js';
import { inspectCommand } from './cmd-inspect.js';
import { keygenCommand } from './cmd-keygen.js';
import { profilesCommand } from './cmd-profiles.js';
import { realCommand } from './cmd-real.js';
import { replayCommand } from './cmd-replay.js';
import { signCommand } from './cmd-sign.js';
import { skelCommand } from './cmd-skel.js';
import { verifyCommand } from './cmd-verify.js';

export const commands: Command[] = [compareCommand, claimsCommand, demoCommand, skelCommand, explainCommand, genCommand, profilesCommand, keygenCommand, replayCommand, realCommand, signCommand, verifyCommand, inspectCommand, conformanceCommand];
