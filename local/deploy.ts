// The local cloud deploys the program through the one mock harness (./pulumi/harness.ts), with the
// Provisioner of ./provision.ts as its `newResource`: `deployProgram(settings, newResource)`
// evaluates the program afresh in its directory, throws a DeploymentError naming every failed
// registration, and answers the stack outputs. Kept as the local cloud's entry point (cloud.ts,
// main.ts import it from here).
export { DeploymentError, deployProgram } from "../harness/harness";
export type { NewResource } from "../harness/harness";
