// Every test runs with the built-in schemes registered, as the library entry point (src/index.ts)
// and the CLI do: kernel profiles and toolchains are looked up by name in their registries.
import '../src/schemes/index.js';
