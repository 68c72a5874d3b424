public enum ReelPlanNamespace {}
