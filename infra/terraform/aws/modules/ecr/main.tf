# One ECR repository per image. CI pushes <registry>/<image>:<git commit>
# (orchestration/ci_plan.py), so tags are immutable: a tag always means one build.
variable "name_prefix" {
  description = "Prefix of the repository names (<prefix>/<image>)."
  type        = string
}

variable "images" {
  description = "Image names, one repository each."
  type        = set(string)
}

variable "kms_key_arn" {
  description = "KMS key encrypting the images."
  type        = string
}

variable "keep_tagged_images" {
  description = "Tagged images kept per repository (the newest)."
  type        = number
  default     = 50
}

resource "aws_ecr_repository" "this" {
  for_each = var.images

  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged layers of interrupted pushes go after a week."
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest tagged images (rollbacks), expire older ones."
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_tagged_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

output "repository_urls" {
  description = "Image name -> repository URL."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.repository_url }
}

output "repository_arns" {
  description = "Image name -> repository ARN."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.arn }
}
