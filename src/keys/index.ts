// Public API of the keys module: keyrings, verify_pkcs7_signature with the kernel's rules, the BPF
// key lookups and signature stage, and the bpftool-compatible signer.

export { KeyService, VERIFY_USE_PLATFORM_KEYRING, VERIFY_USE_SECONDARY_KEYRING } from './key-service.js';
export type { KeyServiceOptions, TrustedKeys, AsymmetricPreparse } from './key-service.js';
export { DEFAULT_KEYS_CONFIG, keysConfig } from './config.js';
export type { KeysConfig, EcCurveName, FailSite, Failslab } from './config.js';
export { KeyVirtualClock, systemClock, xorshiftSerials, sequentialSerials, DEFAULT_EPOCH } from './clock.js';
export type { KeyClock, SerialSource } from './clock.js';
export { Key, key_validate, keyring_search, find_asymmetric_key } from './keyring.js';
export type { KeyTypeName, AsymmetricPayload } from './keyring.js';
export {
  ProcessKeyrings,
  KeyNeedPerm,
  KEY_SPEC_THREAD_KEYRING,
  KEY_SPEC_PROCESS_KEYRING,
  KEY_SPEC_SESSION_KEYRING,
  KEY_SPEC_USER_KEYRING,
  KEY_SPEC_USER_SESSION_KEYRING,
  KEY_SPEC_GROUP_KEYRING,
  KEY_SPEC_REQKEY_AUTH_KEY,
  KEY_SPEC_REQUESTOR_KEYRING,
  KEY_LOOKUP_CREATE,
  KEY_LOOKUP_PARTIAL,
  KEY_LOOKUP_ALL,
} from './process-keyrings.js';
export type { ProcessKeyringsOptions } from './process-keyrings.js';
export {
  system_keyring_id_check,
  bpf_lookup_system_key,
  bpf_lookup_user_key,
  bpf_key_put,
  bpf_verify_pkcs7_signature,
  bpf_sig_keyring_classify,
  keyringIdToU64,
} from './bpf-key.js';
export type { BpfKey, BpfVerifyOptions, BpfSigKeyring } from './bpf-key.js';
export { bpf_prog_verify_signature, BPF_SIGNATURE_SIZE_LIMIT } from './bpf-prog-signature.js';
export type { ProgSignatureProfile, ProgSignatureInput, ProgSignatureResult, ProgSignatureStage } from './bpf-prog-signature.js';
export { pkcs7_parse_message } from './pkcs7-parse.js';
export { pkcs7_get_authattr } from './pkcs7-authattr.js';
export type { Pkcs7Message, SignedInfo } from './pkcs7-parse.js';
export type { KeyBeingUsedFor } from './pkcs7-verify.js';
export { KLog, resultName } from './klog.js';
export type { Pkcs7Verdict } from './klog.js';
export { x509_cert_parse } from './x509.js';
export type { X509Certificate } from './x509.js';
export { signPkcs7, signerCertificate } from './sign.js';
export type { SignOptions, SignDigest, SignedAttributesOptions, ExtraAttribute } from './sign.js';
export { certificateToDer, certificatesToDer, loadPrivateKey, looksLikeDer, KeyFormatError } from './pem.js';
export { asn1_ber_decoder, ASN1_MAX_DATALEN } from './asn1-decoder.js';
