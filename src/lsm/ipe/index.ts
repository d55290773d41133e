// IPE: policy language, evaluation, audit records and the LSM itself (registered as `ipe`).
export { IPE_BPF_SIGNED_ONLY_POLICY } from './example-policy.js';
export { accessRecordBody as ipeAccessRecordBody, auditRuleText as ipeAuditRuleText, decisionRuleText as ipeDecisionRuleText, policyActivationBody as ipePolicyActivationBody, policyLoadBody as ipePolicyLoadBody, type LoadedPolicy as IpeLoadedPolicy } from './audit.js';
export { evaluate as evaluateIpePolicy, evaluateProperty as evaluateIpeProperty, type IpeBpfEvalCtx, type IpeDecision, type IpeMatch } from './eval.js';
export { ipeModule, type IpeEvaluation, type IpeModule, type IpeState } from './ipe.js';
export { IpePolicyError, parseIpePolicy, type ParseOptions as IpeParseOptions } from './parser.js';
export { IPE_BPF_PROPS, IPE_FLAG_PROPS, IPE_OPS, policyVersionString as ipePolicyVersionString, type IpeAction, type IpeOp, type IpePolicy, type IpeProp, type IpeRule } from './policy.js';
