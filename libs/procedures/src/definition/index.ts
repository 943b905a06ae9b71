/**
 * Procedure definitions as data: the YAML/JSON language authors write (schema, parser, exporter,
 * diff), the parameter schema that draws the run form and validates run input, and the approval
 * condition language. Pure functions only: no database, no HTTP, no clock.
 */
export { DefinitionError, type DefinitionErrorDetail } from './definition-error';
export {
  DEFINITION_MAX_BYTES,
  DEFINITION_MAX_DEPTH,
  DEFINITION_MAX_VALUES,
  parseDefinition,
  type DefinitionContentType,
} from './definition-parser';
export { exportDefinition } from './definition-exporter';
export { diffDefinitions, type DefinitionChange } from './definition-diff';
export { MAX_EXACT_EDIT_DISTANCE, unifiedLineDiff, type UnifiedLineDiffOptions } from './unified-line-diff';
export { formatDuration, parseDuration, DurationFormatError } from './duration';
export {
  compileCondition,
  ConditionEvaluationError,
  CONDITION_MAX_DEPTH,
  CONDITION_MAX_LENGTH,
  type CompileConditionOptions,
  type CompiledCondition,
  type ComparisonOperator,
  type ConditionNode,
  type ConditionScalar,
} from './condition';
export {
  compileParameterSchema,
  PARAMETER_SCHEMA_ANNOTATIONS,
  PARAMETER_SCHEMA_DIALECT,
  type ParameterJsonSchema,
  type ParameterPropertySchema,
} from './parameter-schema.compiler';
export {
  ParameterValidator,
  validateParameters,
  type ParameterError,
  type ParameterValidationResult,
  type ValidateParametersOptions,
} from './parameter-validator';
export { redactParameters, REDACTED_VALUE } from './parameter-redactor';
export { requiresApproval } from './approval-requirement';
export { procedureDefinitionSchema, DEFINITION_DEFAULTS, STEPS_MAX_COUNT } from './procedure-definition.schema';
export { parameterDefinitionSchema, PARAMETERS_MAX_COUNT, PATTERN_MAX_LENGTH } from './parameter-definition.schema';
export { stepDefinitionSchema, HTTP_METHODS, NAMED_SHELLS } from './step-definition.schema';
export { YAML_MAX_ALIAS_COUNT, YAML_MAX_NESTING } from './yaml-source';
export {
  EXECUTION_EVENTS,
  type ApprovalPolicy,
  type ArrayItems,
  type ArrayParameter,
  type BooleanParameter,
  type CallParameterValue,
  type ExecutionEvent,
  type HttpMethod,
  type HttpRequest,
  type HttpStep,
  type JsonValue,
  type NotifyPolicy,
  type NumberItems,
  type NumberParameter,
  type ParameterDefinition,
  type ParameterReference,
  type ParameterType,
  type ParameterValue,
  type ProcedureCallStep,
  type ProcedureDefinition,
  type RunStep,
  type ScalarValue,
  type StepDefinition,
  type StepKind,
  type StepShell,
  type StringItems,
  type StringParameter,
} from './procedure-definition';
