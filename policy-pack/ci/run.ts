// `npm run policy`: the policy pack over the stack of index.ts, the way `pulumi preview
// --policy-pack ./policy-pack` checks it, but with no Pulumi CLI and no AWS account. The program
// runs under Pulumi mocks (tests/support/mocks.ts), the real pack runs as its own process and
// gets the resources over the analyzer gRPC protocol. Prints a report; exits 1 on any mandatory
// violation, 2 if the run itself failed.
import { captureIndexStack } from "../../tests/support/policy-stack";
import { analyzeWithPack, formatReport } from "./analyzer";

async function main(): Promise<number> {
    const stack = await captureIndexStack();
    const { pack, diagnostics } = await analyzeWithPack(stack);
    console.log(formatReport(pack, diagnostics, stack.length));
    return diagnostics.some((d) => d.enforcement === "mandatory") ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (error) => {
        console.error(error);
        process.exit(2);
    },
);
