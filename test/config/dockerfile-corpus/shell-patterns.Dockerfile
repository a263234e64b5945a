FROM ubuntu:22.04
MAINTAINER ops@example.com
RUN apt-get update && apt-get install -y sudo curl wget && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://get.example.com/install.sh | bash
RUN wget -qO /tmp/x https://example.com/x
RUN sudo chmod -R 777 /opt
RUN cd /opt
ADD https://example.com/tool.tar.gz /opt/
RUN apt-get dist-upgrade -y
USER 1000
HEALTHCHECK CMD true
CMD ["bash"]
