// IPE: policy language, evaluation, audit records and the LSM itself (registered as `ipe`).
export { IPE_BPF_SIGNED_ONLY_POLICY } from './example-policy.js';
export { accessRecordBody, auditRuleText, decisionRuleText, policyActivationBody, policyLoadBody, type LoadedPolicy } from './audit.js';
export { evaluate, evaluateProperty, type IpeBpfEvalCtx, type IpeDecision, type IpeMatch } from './eval.js';
export { ipeModule, type IpeEvaluation, type IpeModule, type IpeState } from './ipe.js';
export { IpePolicyError, parseIpePolicy, type ParseOptions } from './parser.js';
export { IPE_BPF_PROPS, IPE_FLAG_PROPS, IPE_OPS, policyVersionString, type IpeAction, type IpeOp, type IpePolicy, type IpeProp, type IpeRule } from './policy.js';
