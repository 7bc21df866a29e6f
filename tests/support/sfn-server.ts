// A Step Functions service built by hand, served alone on a local server (the other services
// answer nothing), with IAM enforced, so the AWS SDK's signed requests reach it as they reach the
// local cloud: for tests of the Step Functions API itself.
import { SFNClient } from "@aws-sdk/client-sfn";
import { ApiGatewayService } from "../../local/apigateway/gateway";
import { LocalServer } from "../../local/server";
import type { StepFunctionsService } from "../../local/sfn/service";
import { iamGate } from "./iam";

export interface ServedStepFunctions {
    server: LocalServer;
    /** A client of the server, signing as the operator. */
    sfn: SFNClient;
    /** Ends the client, the service's executions and the server. */
    close(): Promise<void>;
}

export async function serveStepFunctions(service: StepFunctionsService): Promise<ServedStepFunctions> {
    const server = await LocalServer.listen(0, () => undefined);
    server.serve({
        dynamo: (_request, response) => response.writeHead(501).end(),
        // Enforced: the SDK's signatures, by the operator's credentials, are verified.
        iam: iamGate("enforce"),
        stepFunctions: service,
        gateway: new ApiGatewayService({ accountId: "000000000000", region: "us-east-1", iam: iamGate(), invoke: () => undefined, log: () => undefined }),
        inspect: (_request, response) => void response.writeHead(404).end(),
    });
    const sfn = new SFNClient({ endpoint: server.url });
    return {
        server,
        sfn,
        async close() {
            sfn.destroy();
            await service.stop();
            await server.close();
        },
    };
}
