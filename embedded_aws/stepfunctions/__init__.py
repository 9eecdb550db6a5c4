"""Step Functions: activity tasks that really wait for workers, and fixes to moto's interpreter."""
