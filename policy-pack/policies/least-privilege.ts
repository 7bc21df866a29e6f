// Least privilege for every role of a saga: its step Lambdas, its start Lambda, its state machine.
import { StackValidationPolicy } from "@pulumi/policy";
import { ActionRole, REPAIR_OUTCOME_ROLE, REPAIR_ROLE, REPAIR_START_ROLE, START_ROLE, STATUS_ROLE, Tags } from "../../components/model/conventions";
import { isActionGrantSid } from "../../components/model/iam";
import { Statement, broadGrants, isWithin, parseDocument, serviceOf } from "../analysis/iam";
import { MachineReading, readMachines, sameFunction } from "../analysis/machines";
import { StackIndex, StackResource, describeLambda, fromPolicyResources } from "../analysis/stack";
import { NotKnownYet, UNKNOWN, str, tagsOf } from "../analysis/values";
import { ResourceTypes } from "../../components/model/resource-types";

/** `existing`: a function of the stack that the saga did not create but its definition invokes (`functionArn`). */
type Kind = "step" | "start" | "status" | "repairStart" | "machine" | "existing";

const LAMBDA_KINDS: Record<string, Kind> = { [START_ROLE]: "start", [STATUS_ROLE]: "status", [REPAIR_START_ROLE]: "repairStart" };

const STEP_ROLES: readonly string[] = ["reserve", "confirm", "cancel"] satisfies ActionRole[];

/** A saga role's owner: who assumes it, and for which saga. */
interface Principal {
    kind: Kind;
    saga: string;
    /** How the owner is named in messages. */
    label: string;
    roleArn: unknown;
    /** A state machine's reading. */
    machine?: MachineReading;
}

export const sagaLeastPrivilege: StackValidationPolicy = {
    name: "saga-least-privilege",
    description:
        'Checks whether the IAM policies of a saga\'s roles grant only what each needs: no "*" or service-wide actions, no "*" resources beyond X-Ray and log delivery, step Lambdas reach only their saga\'s table, the start Lambda only starts its own state machine, the status Lambda only reads the table and its machine\'s executions, the Lambda that starts repairs only starts its saga\'s repair machine and reports to its saga\'s queues, the state machine invokes only its step Lambdas and the functions its definition invokes, and an action\'s own extra grants (Sid ActionGrant<n>) name their actions and resources.',
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = new StackIndex(fromPolicyResources(args.resources));
        const unknown: string[] = [];
        const reported = new Set<string>();
        const report = (message: string, urn: string) => {
            if (reported.has(message)) return;
            reported.add(message);
            reportViolation(message, urn);
        };

        for (const principal of principalsOf(stack)) {
            if (principal.roleArn === UNKNOWN) {
                unknown.push(`the role of ${principal.label}`);
                continue;
            }
            const role = typeof principal.roleArn === "string" ? stack.roleByArn(principal.roleArn) : undefined;
            // A role defined outside the stack cannot be read here.
            if (!role) continue;
            for (const policy of stack.policiesOf(role)) {
                const owner = `${capitalize(policy.label)} of ${principal.label}`;
                if (policy.managedArn !== undefined) {
                    report(
                        `${owner} must not attach the managed policy "${policy.managedArn}": its grants cannot be checked, and managed policies grant on "*". Use an inline policy that names the saga's resources.`,
                        policy.resource.urn,
                    );
                    continue;
                }
                if (policy.document === UNKNOWN || policy.document === undefined) {
                    unknown.push(policy.label);
                    continue;
                }
                const statements = parseDocument(policy.document);
                if ("error" in statements) {
                    report(`${owner} must be a valid policy document: it ${statements.error}.`, policy.resource.urn);
                    continue;
                }
                const where = `${policy.label} of ${principal.label}`;
                for (const message of checkStatements(stack, principal, where, statements, unknown)) report(message, policy.resource.urn);
            }
        }
        if (unknown.length > 0) {
            const several = unknown.length > 1;
            throw new NotKnownYet(
                `${unknown.join(", ")} ${several ? "are" : "is"} not known yet, so ${several ? "they were" : "it was"} not checked; ${several ? "they are" : "it is"} checked once known, e.g. by \`pulumi up\``,
            );
        }
    },
};

/** The owners of saga roles: the saga's Lambdas, and the state machines of a saga (see readMachines). */
function principalsOf(stack: StackIndex): Principal[] {
    const lambdas: Principal[] = stack.sagaLambdas.map((lambda) => ({
        kind: LAMBDA_KINDS[lambda.role ?? ""] ?? "step",
        saga: lambda.saga as string,
        label: describeLambda(lambda),
        roleArn: lambda.roleArn,
    }));
    const machines = readMachines(stack).flatMap((machine): Principal[] =>
        machine.saga === undefined
            ? []
            : [{ kind: "machine", saga: machine.saga, label: `state machine "${machine.resource.name}" (saga "${machine.saga}")`, roleArn: machine.resource.props.roleArn, machine }],
    );
    return [...lambdas, ...machines, ...existingFunctionsOf(stack)];
}

/**
 * The existing functions a saga's machine invokes that are resources of this stack (the program
 * declared them, e.g. given to SagaComponent as `functionArn`): their roles are checked like the
 * saga's own, for narrow grants. One outside the stack cannot be read: see sagaExistingFunctionsInStack.
 */
function existingFunctionsOf(stack: StackIndex): Principal[] {
    const seen = new Set<string>();
    return readMachines(stack).flatMap((machine) =>
        machine.saga === undefined
            ? []
            : machine.invoked.flatMap((reference): Principal[] => {
                  const lambda = stack.lambdaFor(reference);
                  if (!lambda || lambda.saga !== undefined || seen.has(lambda.resource.name)) return [];
                  seen.add(lambda.resource.name);
                  return [{ kind: "existing", saga: machine.saga!, label: `the existing function "${lambda.resource.name}" (invoked by saga "${machine.saga}")`, roleArn: lambda.roleArn }];
              }),
    );
}

/** The existing functions a saga's machine invokes that are not resources of this stack: their roles cannot be read. */
export const sagaExistingFunctionsInStack: StackValidationPolicy = {
    name: "saga-existing-functions-in-stack",
    description:
        "Checks whether every existing function a saga's state machine invokes is a resource of this stack, so that saga-least-privilege can check its role; a function outside the stack is reported as not checked.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        const stack = new StackIndex(fromPolicyResources(args.resources));
        // One finding per saga and function, naming every machine of the saga that invokes it (the repair's too).
        const outside = new Map<string, { saga: string; reference: string; machines: StackResource[] }>();
        for (const machine of readMachines(stack)) {
            if (machine.saga === undefined) continue;
            for (const reference of machine.invoked.filter((fn) => !stack.lambdaFor(fn))) {
                const key = `${machine.saga}\0${reference}`;
                const entry = outside.get(key) ?? outside.set(key, { saga: machine.saga, reference, machines: [] }).get(key)!;
                if (!entry.machines.includes(machine.resource)) entry.machines.push(machine.resource);
            }
        }
        for (const { saga, reference, machines } of outside.values()) {
            reportViolation(
                `Function "${reference}", which saga "${saga}" invokes (state machine ${machines.map((m) => `"${m.name}"`).join(", ")}), must be a resource of this stack for its role to be checked: it is not, so its role was not checked. Declare it in this program, or check its role where it is declared.`,
                machines[0].urn,
            );
        }
    },
};

const OBSERVABILITY = new Set(["logs", "xray"]);

/**
 * Every Allow statement is narrow (see broadGrants). The saga's own statements also serve only
 * the role's purpose; an action's extra grants (its `policyStatements`, Sid ActionGrant<n>) are
 * its owner's choice and need only be narrow.
 */
function checkStatements(stack: StackIndex, principal: Principal, where: string, statements: Statement[], unknown: string[]): string[] {
    const messages: string[] = [];
    statements.forEach((statement, index) => {
        if (statement.Effect !== "Allow") return;
        const owner = capitalize(`${statement.Sid !== undefined ? `statement "${statement.Sid}"` : `statement ${index + 1}`} of ${where}`);
        messages.push(...broadGrants(statement).map((finding) => `${owner} ${finding}.`));
        if (statement.Sid !== undefined && isActionGrantSid(statement.Sid) && principal.kind !== "machine") return;
        const named = statement.Resource.filter((r) => r !== "*");
        const actions = statement.Action.filter((a) => !a.includes("*"));
        const tableActions = actions.filter((a) => serviceOf(a) === "dynamodb");
        if (tableActions.length > 0 && principal.kind !== "machine" && principal.kind !== "existing") messages.push(...checkTables(stack, principal, owner, tableActions, named));
        if (principal.kind === "start") messages.push(...checkStart(stack, principal, owner, actions, named));
        if (principal.kind === "status") messages.push(...checkStatus(stack, principal, owner, actions, named));
        if (principal.kind === "repairStart") messages.push(...checkRepairStart(stack, principal, owner, actions, named));
        if (principal.kind === "machine") messages.push(...checkMachine(stack, principal, owner, actions, named, unknown));
    });
    return messages;
}

/** Table actions only on the saga's table (and its indexes). */
function checkTables(stack: StackIndex, principal: Principal, owner: string, actions: string[], resources: string[]): string[] {
    const tables = stack.tablesOf(principal.saga);
    const allowed = (resource: string) =>
        [...tables.arns].some((arn) => isWithin(resource, arn)) ||
        [...tables.names].some((name) => /:table\/[^/]+/.exec(resource)?.[0] === `:table/${name}`);
    const known = [...tables.arns, ...[...tables.names].filter((n) => ![...tables.arns].some((arn) => arn.endsWith(`/${n}`)))];
    const theTable = known.length > 0 ? ` (${known.map((t) => `"${t}"`).join(", ")})` : "";
    return resources
        .filter((resource) => !allowed(resource))
        .map(
            (resource) =>
                `${owner} must only reach the table of saga "${principal.saga}"${theTable}: it allows ${actions.map((a) => `"${a}"`).join(", ")} on "${resource}". Grant table actions on the saga's table only.`,
        );
}

/** The start Lambda starts its own state machine; beside its logs, traces and the saga's table, nothing else. */
function checkStart(stack: StackIndex, principal: Principal, owner: string, actions: string[], resources: string[]): string[] {
    const messages = actions
        .filter((a) => a !== "states:StartExecution" && !OBSERVABILITY.has(serviceOf(a)) && serviceOf(a) !== "dynamodb")
        .map((a) => `${owner} must only start its state machine: remove "${a}".`);
    const machines = stack.sagaMachineArnsOf(principal.saga);
    if (actions.includes("states:StartExecution") && machines.size > 0) {
        for (const resource of resources.filter((r) => !machines.has(r))) {
            messages.push(
                `${owner} must only start its own state machine (${[...machines].map((m) => `"${m}"`).join(", ")}): it allows "states:StartExecution" on "${resource}".`,
            );
        }
    }
    return messages;
}

/**
 * The Lambda that starts repairs starts its saga's repair machine, and sends to its saga's queues
 * the events it fails on (its failure destination); beside its logs and traces, nothing else.
 */
function checkRepairStart(stack: StackIndex, principal: Principal, owner: string, actions: string[], resources: string[]): string[] {
    const allowed = new Set(["states:StartExecution", "sqs:SendMessage"]);
    const messages = actions
        .filter((a) => !allowed.has(a) && !OBSERVABILITY.has(serviceOf(a)))
        .map((a) => `${owner} must only start its saga's repair and report the events it fails on: remove "${a}".`);
    if (!actions.some((a) => allowed.has(a))) return messages;
    const targets = [
        ...(actions.includes("states:StartExecution") ? [...stack.repairMachineArnsOf(principal.saga)] : []),
        ...(actions.includes("sqs:SendMessage") ? stack.taggedWith(ResourceTypes.queue, principal.saga).map((q) => str(q.props.arn)).filter((a): a is string => a !== undefined) : []),
    ];
    for (const resource of resources.filter((r) => !targets.includes(r))) {
        messages.push(
            `${owner} must only reach the repair machine and the queues of saga "${principal.saga}": it allows ${actions.filter((a) => allowed.has(a)).map((a) => `"${a}"`).join(", ")} on "${resource}".`,
        );
    }
    return messages;
}

/** Table actions that only read. */
const READS = new Set(["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"]);

/** The status Lambda reads: the saga's table and the executions of its own state machine. */
function checkStatus(stack: StackIndex, principal: Principal, owner: string, actions: string[], resources: string[]): string[] {
    const messages = actions
        .filter((a) => !OBSERVABILITY.has(serviceOf(a)) && !READS.has(a) && a !== "states:DescribeExecution")
        .map((a) => `${owner} must only read the saga's table and its executions: remove "${a}".`);
    // An execution ARN is its machine's ARN with `execution` for `stateMachine`, plus the execution name.
    const executions = [...stack.sagaMachineArnsOf(principal.saga)].map((arn) => `${arn.replace(":stateMachine:", ":execution:")}:`);
    if (actions.includes("states:DescribeExecution") && executions.length > 0) {
        for (const resource of resources.filter((r) => !executions.some((prefix) => r.startsWith(prefix)))) {
            messages.push(
                `${owner} must only describe executions of its own state machine (${executions.map((e) => `"${e}*"`).join(", ")}): it allows "states:DescribeExecution" on "${resource}".`,
            );
        }
    }
    return messages;
}

/** The state machine invokes only its saga's step Lambdas and the functions its definition invokes. */
function checkMachine(stack: StackIndex, principal: Principal, owner: string, actions: string[], resources: string[], unknown: string[]): string[] {
    if (!actions.includes("lambda:InvokeFunction")) return [];
    const machine = principal.machine as MachineReading;
    // A repair machine (tagged so) also writes the saga's outcome through its saga's outcome Lambda.
    const roles = tagsOf(machine.resource.props)[Tags.role] === REPAIR_ROLE ? [...STEP_ROLES, REPAIR_OUTCOME_ROLE] : STEP_ROLES;
    const steps = stack.sagaLambdas
        .filter((l) => l.saga === principal.saga && roles.includes(l.role ?? ""))
        .map((l) => l.arn)
        .filter((arn): arn is string => arn !== undefined);
    const outside = resources.filter(
        (resource) =>
            str(resource)?.startsWith("arn:aws:lambda:") &&
            !steps.some((arn) => isWithin(resource, arn)) &&
            !machine.invoked.some((fn) => sameFunction(resource, fn)),
    );
    // Functions beside the saga's tagged Lambdas may be ones its definition invokes: judged once it is known.
    if (outside.length > 0 && machine.asl === UNKNOWN) {
        unknown.push(`the definition of ${principal.label}`);
        return [];
    }
    return outside.map(
        (resource) =>
            `${owner} must only invoke the step Lambdas of saga "${principal.saga}" and the functions its definition invokes: it allows "lambda:InvokeFunction" on "${resource}".`,
    );
}

const capitalize = (text: string) => text[0].toUpperCase() + text.slice(1);
