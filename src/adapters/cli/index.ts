#!/usr/bin/env node
import { runAsProcess } from './main.js';

runAsProcess();
