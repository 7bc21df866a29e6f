// Where the component's children are created and how they are tagged; their names are in model/names.ts.
import * as pulumi from "@pulumi/pulumi";
import { Tags } from "./model/conventions";

/** Where a child is created, and how it is tagged. */
export interface ChildContext {
    /** The component name. */
    saga: string;
    parent: pulumi.Resource;
    /** The caller's tags plus `saga:name` and the given tags (ours win: the policy pack reads them). */
    tags(own?: Record<string, string>): pulumi.Output<Record<string, string>>;
}

export function childContext(
    saga: string,
    parent: pulumi.Resource,
    userTags: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined,
): ChildContext {
    const user = pulumi.output(userTags ?? {});
    return {
        saga,
        parent,
        tags: (own = {}) => user.apply((tags): Record<string, string> => ({ ...tags, [Tags.saga]: saga, ...own })),
    };
}
