/** Full fine-tuning: every base weight trains; a task stores the whole checkpoint. (TF-free: see ../method-declaration.ts.) */
import { defineMethod } from '../method-declaration.js';

export const FULL = defineMethod({
  name: 'full',
  label: 'Full fine-tuning',
  shortLabel: 'Full FT',
  summary: 'Full fine-tuning: every weight trains (the baseline).',
  color: '#000000',
  defaultLr: 5e-5,
  hyperparameters: [],
  saveFormat: 'full checkpoint',
});
