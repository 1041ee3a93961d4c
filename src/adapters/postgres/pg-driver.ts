/**
 * node-postgres, loaded without node's fetch (see pg-navigator.ts). Every other module takes pg
 * from here, so the shim is in place whichever of them loads first. Module evaluation follows
 * import order, in node's loader and in the bundle alike.
 */
import { navigatorAdded } from './pg-navigator.js';
import pg from 'pg';

if (navigatorAdded) Reflect.deleteProperty(globalThis, 'navigator');

export const pgDriver = pg;
