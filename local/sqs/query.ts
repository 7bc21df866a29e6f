// SQS's query protocol, as boto3 before 1.34 and the AWS CLI v2 before 2.15 speak it: the request
// is form-encoded (`Action=ReceiveMessage&Version=2012-11-05&QueueUrl=...&AttributeName.1=All`) in
// a POST or a GET's query string, the answer XML (`<ReceiveMessageResponse>` with its Result and
// ResponseMetadata), an error `<ErrorResponse><Error><Type/><Code/><Message/>`. Translated here to
// and from the members the JSON protocol carries, so that one set of operations serves both.
import type { Answer } from "../http";

const NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";

/** The query protocol's flattened lists (`AttributeName.1`, ...) and the JSON member each fills. */
const LISTS: Record<string, string> = {
    AttributeName: "AttributeNames",
    MessageAttributeName: "MessageAttributeNames",
    MessageSystemAttributeName: "MessageSystemAttributeNames",
};
/** Members that are integers in the JSON protocol (a value that is not one is kept, and refused as SQS refuses it). */
const INTEGERS = new Set(["MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "DelaySeconds", "MaxResults"]);

/** The JSON members a query request carries. */
export function queryRequest(form: URLSearchParams): Record<string, unknown> {
    const request: Record<string, unknown> = Object.create(null);
    const lists: Record<string, Array<[number, string]>> = {};
    const attributes = new Map<string, Record<string, string>>();
    for (const [key, value] of form) {
        if (key === "Action" || key === "Version") continue;
        const listed = /^([A-Za-z]+)\.(\d+)$/.exec(key);
        if (listed && Object.hasOwn(LISTS, listed[1])) {
            (lists[LISTS[listed[1]]] ??= []).push([Number(listed[2]), value]);
            continue;
        }
        const attribute = /^MessageAttribute\.(\d+)\.(Name|Value\.DataType|Value\.StringValue|Value\.BinaryValue)$/.exec(key);
        if (attribute) {
            const entry = attributes.get(attribute[1]) ?? {};
            entry[attribute[2].replace("Value.", "")] = value;
            attributes.set(attribute[1], entry);
            continue;
        }
        if (key.includes(".")) continue; // members of operations not served (Attribute.N, Tag.N)
        request[key] = INTEGERS.has(key) && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
    }
    for (const [member, items] of Object.entries(lists)) request[member] = items.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
    if (attributes.size > 0) {
        const map: Record<string, unknown> = Object.create(null);
        for (const { Name, ...value } of attributes.values()) if (Name !== undefined) map[Name] = value;
        request.MessageAttributes = map;
    }
    return request;
}

/** An operation's answer as the query protocol gives it. */
export function queryAnswer(operation: string, result: object, requestId: string): string {
    const members = Object.entries(result);
    const body = members.length === 0 ? "" : `<${operation}Result>${members.map(([name, value]) => member(name, value)).join("")}</${operation}Result>`;
    return `<?xml version="1.0"?><${operation}Response xmlns="${NAMESPACE}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
}

/** An error as the query protocol gives it: the code SQS names (AWS.SimpleQueueService.NonExistentQueue), its message. */
export function queryErrorAnswer(statusCode: number, code: string, message: string, requestId: string): Answer {
    return {
        statusCode,
        headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
        body:
            `<?xml version="1.0"?><ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${statusCode >= 500 ? "Receiver" : "Sender"}</Type>` +
            `<Code>${escape(code)}</Code><Message>${escape(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
}

/** One member of a result: lists flattened under their item's name, maps as Name/Value pairs. */
function member(name: string, value: unknown): string {
    switch (name) {
        case "QueueUrls":
            return (value as string[]).map((url) => element("QueueUrl", url)).join("");
        case "Messages":
            return (value as Array<Record<string, unknown>>).map((message) => `<Message>${Object.entries(message).map(([n, v]) => member(n, v)).join("")}</Message>`).join("");
        case "Attributes":
            return Object.entries(value as Record<string, string>)
                .map(([key, text]) => `<Attribute>${element("Name", key)}${element("Value", text)}</Attribute>`)
                .join("");
        case "MessageAttributes":
            return Object.entries(value as Record<string, Record<string, string>>)
                .map(([key, attribute]) => {
                    const parts = Object.entries(attribute).map(([n, v]) => element(n, v)).join("");
                    return `<MessageAttribute>${element("Name", key)}<Value>${parts}</Value></MessageAttribute>`;
                })
                .join("");
        default:
            return element(name, String(value));
    }
}

const element = (name: string, text: string) => `<${name}>${escape(text)}</${name}>`;

/** XML text: the markup characters, and a carriage return kept as one (a parser would turn it into a newline). */
function escape(text: string): string {
    return text.replace(/[&<>"'\r]/g, (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xD;" })[character]!);
}
