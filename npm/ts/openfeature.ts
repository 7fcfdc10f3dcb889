/**
 * An OpenFeature web provider over a Burgee client (local or remote mode):
 *
 *   import { OpenFeature } from "@openfeature/web-sdk";
 *   import { createClient } from "burgee";          // or "burgee/remote"
 *   import { BurgeeProvider } from "burgee/openfeature";
 *   await OpenFeature.setProviderAndWait(new BurgeeProvider(createClient({ url, environment })));
 *
 * OpenFeature's context is the client's context (static-context paradigm): a context change
 * re-evaluates locally, or asks the edge once in remote mode. Flag changes pushed or fetched
 * later are announced as PROVIDER_CONFIGURATION_CHANGED with the changed keys; a failed
 * refresh as PROVIDER_STALE while the last flags keep serving (PROVIDER_ERROR when there are
 * none), and recovery as PROVIDER_READY. `track` records the event with the client's usage
 * metrics (its `value`; other details are not sent).
 */
import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type FlagValue,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from "@openfeature/web-sdk";
import type { Client } from "./types.js";

export class BurgeeProvider implements Provider {
  readonly metadata = { name: "burgee" } as const;
  readonly runsOn = "client" as const;
  readonly events = new OpenFeatureEventEmitter();
  private stale = false;
  private readonly unsubscribe: (() => void)[];

  constructor(readonly client: Client) {
    this.unsubscribe = [
      client.on("change", ({ flags }) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: flags })),
      client.on("error", (e) => {
        this.stale = true;
        this.events.emit(client.status === "ready" ? ProviderEvents.Stale : ProviderEvents.Error, { message: e.message });
      }),
      client.on("ready", () => this.recovered()),
      client.on("change", () => this.recovered()),
    ];
  }

  private recovered(): void {
    if (this.stale) {
      this.stale = false;
      this.events.emit(ProviderEvents.Ready);
    }
  }

  async initialize(context?: EvaluationContext): Promise<void> {
    if (context && Object.keys(context).length) await this.client.setContext(context);
    await this.client.ready();
  }

  async onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    await this.client.setContext(next);
  }

  async onClose(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.client.close();
  }

  track(trackingEventName: string, _context: EvaluationContext, trackingEventDetails?: TrackingEventDetails): void {
    this.client.track(trackingEventName, { value: trackingEventDetails?.value });
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(flagKey, defaultValue);
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(flagKey, defaultValue);
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(flagKey, defaultValue);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolve(flagKey, defaultValue);
  }

  private resolve<T extends FlagValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    // The client checks the flag's kind against the type of the caller's default.
    const d = this.client.details<T>(flagKey, defaultValue);
    const out: ResolutionDetails<T> = { value: d.value, reason: d.reason };
    if (d.variant !== null) out.variant = d.variant;
    if (d.errorCode) {
      out.errorCode = d.errorCode as ResolutionDetails<T>["errorCode"];
      out.errorMessage = d.errorMessage;
    }
    const metadata: Record<string, string> = {};
    if (d.ruleId) metadata.ruleId = d.ruleId;
    if (d.prerequisite) metadata.prerequisite = d.prerequisite;
    out.flagMetadata = metadata;
    return out;
  }
}
