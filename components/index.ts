// The package entry point: `import { SagaComponent } from "saga"`. Pulumi's plugin host also loads
// it and offers every ComponentResource exported here to programs in other languages.
export { SagaComponent, SAGA_COMPONENT_TYPE } from "./sagaComponent";
export { sagaTableArgs } from "./table";
export * from "./model";
