export { appBuildIsStale, APP_DIR } from './app-build.js';
