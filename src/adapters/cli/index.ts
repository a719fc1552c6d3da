#!/usr/bin/env node
import { runAsProcess } from './main.js';

void runAsProcess();
