"""CloudFormation: the resource types and stack behaviour moto lacks."""
