import type { Rule } from 'eslint';

export declare const catchSaysWhyRule: Rule.RuleModule;
