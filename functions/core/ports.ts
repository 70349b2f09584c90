/**
 * Ports: what the functions need from the outside world, as interfaces.
 * Adapters in functions/adapters implement them; tests inject their own.
 */

/** Why a deploy evaluation was asked for. */
export interface EvaluationTrigger {
  kind: 'push' | 'tick' | 'manual';
  deliveryId?: string;
}

/**
 * Asks the deploy pipeline to evaluate versions now (plan, then enqueue what may deploy).
 * The webhook calls it after recording a push so that a push deploys within seconds.
 */
export interface DeployEvaluator {
  evaluate(versions: string[], trigger: EvaluationTrigger): Promise<void>;
}

/** The evaluator until the deploy pipeline exists: the scheduler tick picks everything up. */
export const noopDeployEvaluator: DeployEvaluator = {
  evaluate: async () => {},
};

/** The clock, injected so the core and the tests decide what "now" is. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
