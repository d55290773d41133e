// Public API of the loader generator (ELF reading, gen_loader, .lskel.h writing).

export { readElf, objectNameFromPath, type ReadElfOptions } from './elf/read-object.js';
export type { BpfObject, BpfProgram, BpfMap, BpfExtern } from './elf/object-types.js';
export type { LoaderError, LoaderErrorKind } from './errors.js';
export {
  genLoader, loaderOutputToJson, type GenLoaderOptions, type LoaderOutput, type LoaderSigner, type CtxLayout,
} from './gen-loader/gen-loader.js';
export { findToolchain, registerToolchain, toolchain, toolchainNames, type LoaderFlow, type SignatureMatch, type ToolchainProfile } from './gen-loader/profiles.js';
export { writeLskelHeader, type LskelOptions } from './lskel-writer.js';
export { DEFAULT_EXAMPLE, EXAMPLE_OBJECTS, exampleObjectPath, readExampleObject, type ExampleObjectName } from './examples.js';
