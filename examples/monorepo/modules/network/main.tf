# A network: one VPC and a subnet per entry of var.subnets (stand-ins built on terraform_data).
variable "name" {
  type = string
}

variable "cidr" {
  type = string
}

variable "subnets" {
  description = "Subnet name => CIDR block"
  type        = map(string)
}

resource "terraform_data" "vpc" {
  input = {
    name = var.name
    cidr = var.cidr
  }
}

resource "terraform_data" "subnet" {
  for_each = var.subnets

  input = {
    vpc  = terraform_data.vpc.output.name
    name = each.key
    cidr = each.value
  }
}

output "vpc_name" {
  value = terraform_data.vpc.output.name
}

output "subnet_cidrs" {
  value = { for name, subnet in terraform_data.subnet : name => subnet.output.cidr }
}
