import type { Rule } from 'eslint';

export declare const STAGES: readonly string[];
export declare function stageOf(file: string, srcDir: string): number | undefined;
export declare const stageOrderRule: Rule.RuleModule;
