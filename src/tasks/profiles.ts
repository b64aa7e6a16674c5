/**
 * Fusion profiles by name (`default`, `similarStyle`, `sameProduct`) or from a JSON file written by
 * `prodsim train --profile` (weights learned from labelled pairs), so every application can use
 * learned weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createError } from '../errors.ts';
import { getProfile, profileFromWeights, type FusionProfile } from '../similarity/fusion.ts';

export function resolveProfile(profile: string | FusionProfile): FusionProfile {
  if (typeof profile !== 'string') return profile;
  if (!profile.endsWith('.json')) return getProfile(profile);
  if (!existsSync(profile)) throw createError('FILE_NOT_FOUND', `no profile file at ${profile}`, { file: profile });
  let json: { name?: unknown; weights?: unknown; source?: unknown; conflictFactor?: unknown };
  try {
    json = JSON.parse(readFileSync(profile, 'utf8')) as typeof json;
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the profile file.
    throw createError('PARSE_ERROR', `${profile}: not JSON (${(e as Error).message})`, { file: profile });
  }
  if (!json.weights || typeof json.weights !== 'object') {
    throw createError('INVALID_ARGUMENT', `${profile}: expected a fusion profile with "weights" (from prodsim train --profile)`, { file: profile, field: 'weights' });
  }
  return profileFromWeights(typeof json.name === 'string' ? json.name : profile, json.weights as Record<string, number>, {
    source: typeof json.source === 'string' ? json.source : profile,
    ...(typeof json.conflictFactor === 'number' ? { conflictFactor: json.conflictFactor } : {}),
  });
}
