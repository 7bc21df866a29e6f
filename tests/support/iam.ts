// IAM for tests that build local services by hand: a gate that checks nothing (what the service
// does is under test, not who may ask), and one that enforces as the local cloud does.
import { LOCAL_ACCOUNT } from "../../components/model/arns";
import { IamGate, IamMode } from "../../local/iam/gate";

export const iamGate = (mode: IamMode = "off", log: (line: string) => void = () => undefined) => new IamGate({ mode, account: LOCAL_ACCOUNT, region: "us-east-1", log });

/** A Task's every call allowed: for Step Functions services whose machines' roles are not under test. */
export const allowEveryCall = () => undefined;
