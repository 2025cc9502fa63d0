// Types for the emscripten glue of @cornerstonejs/codec-openjpeg (the package ships none).
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: import('./j2k.ts').OpenJpegFactory;
  export default factory;
}
