// elfy 1.0.0 ships no type declarations; only src/loader/elf/elf-file.ts imports it.
declare module 'elfy' {
  const elfy: { parse(buf: Buffer): unknown };
  export default elfy;
}
