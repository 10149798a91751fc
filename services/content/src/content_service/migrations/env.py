from content_service.core.config import DEV_DATABASE_URL
from content_service.models import Base
from inkwell_runtime import migrations

migrations.run(Base.metadata, DEV_DATABASE_URL)
