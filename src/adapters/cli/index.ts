import { runAsProcess } from './main.js';

void runAsProcess();
