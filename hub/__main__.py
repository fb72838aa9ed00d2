import sys

from hub.main import main

sys.exit(main())
