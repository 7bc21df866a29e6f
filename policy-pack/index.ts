// The saga policy pack, as the Pulumi CLI runs it: `pulumi preview --policy-pack ./policy-pack`.
// Constructing the pack starts its gRPC server, so this file does nothing else; the policies
// live in ./policies, where tests import them.
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, { policies });
