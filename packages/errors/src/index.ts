export { PeftLabError, isPeftLabError, type PeftLabErrorOptions } from './peft-lab-error.js';
