// hls.js ships types for its full build only; the light build (no subtitles, alternate audio, DRM)
// has the same API for what the player uses.
declare module 'hls.js/light' {
  export * from 'hls.js';
  export { default } from 'hls.js';
}
