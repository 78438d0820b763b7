terraform {
  backend "local" {
    path = "terraform.tfstate"
  }
}

# Reads the network project's outputs: PlanBot orders this project after ../network.
data "terraform_remote_state" "network" {
  backend = "local"
  config = {
    path = "../network/terraform.tfstate"
  }
}

module "app" {
  source = "../../../modules/service"

  name              = "shop-production"
  image             = "registry.example.com/shop:v1.3.2"
  vpc_name          = data.terraform_remote_state.network.outputs.vpc_name
  db_engine_version = "15"
}

output "endpoint" {
  value = module.app.endpoint
}
